"""Services the categories need: specs, the Docker backend, health checks, the run's session."""
