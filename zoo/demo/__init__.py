"""`zoo demo`: a local Gradio app over the exports, one tab per export, offline.

`zoo.demo.app` builds and serves the app, `zoo.demo.panels` holds the panels an export's
signatures call for, and `zoo.demo.examples` draws the example pictures of the translation
models. Gradio is an optional extra (`pip install "zoo[demo]"`); importing this package alone
does not import it.
"""
