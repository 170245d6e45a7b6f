"""Small Streamlit helpers shared by the pages: runtime resources, login, grid, formatting.

Logic lives in appio_core; this package only connects it to Streamlit.
"""
