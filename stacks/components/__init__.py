"""ComponentResources the layouts are built from."""
