"""nanogate's cloud broker: routes escalations to larger models and manages the fleet."""
