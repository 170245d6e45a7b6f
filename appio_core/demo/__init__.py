"""Demo data: operators, services and flows bound to the simulator.

May import every lower layer (everything but cli).
"""
