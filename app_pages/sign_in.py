"""Sign in: the only page a signed-out visitor sees, at whatever address they asked for.

OpenID Connect buttons when .streamlit/secrets.toml configures a provider, and the form for the
local users file when it holds password hashes (insight/access/auth.py). Once signed in, the page the
address names opens, if the role allows it.
"""

import streamlit as st

from insight.ui import session as ui_access

st.title("Sign in")
st.caption("ASB and ASB Case Review (Community Trigger), Derbyshire partnership. The dashboard holds "
           "information about victims of ASB: what you see depends on your role, and every view or "
           "download of person-level data is recorded.")
with st.columns([2, 3])[0]:
    ui_access.sign_in_panel()
