"""Generated protobuf and gRPC modules for nanogate.v1 (do not edit)."""
