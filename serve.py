"""What `streamlit run serve.py` serves: the app (app.py, the frame) behind the one
middleware it needs, which lets browsers keep the grid's bundle
(appio_ui/asset_cache.py)."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from appio_ui.asset_cache import ImmutableComponentAssets

app = st.App("app.py", middleware=[Middleware(ImmutableComponentAssets)])
