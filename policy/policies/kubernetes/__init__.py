"""Policies over Kubernetes resources, one module per resource type."""
