"""What several test folders share: servers, fakes, the simulator wiring, mirror checks."""
