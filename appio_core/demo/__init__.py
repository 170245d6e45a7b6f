"""Demo data: operators, services and flows bound to the simulator."""
