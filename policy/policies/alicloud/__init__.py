"""Policies over Alibaba Cloud resources, one module per resource type."""
