"""IO Flussi core: rules, persistence, the App IO client and the dispatcher.

No Streamlit here: the pages call the core, never the reverse. The packages are layers,
low to high; each imports only its own layer and the ones below it
(tests/test_layering.py keeps this true, and no module takes part in an import cycle):

    errors, config, italian,          the words and conventions every layer shares
    domain, paging
    storage                           the database: models, engine, migrations
    content                           what a message may carry
    recipient_file                    reading and checking a flow's recipient file
    io                                App IO: client, rate limiter, simulator
    accounts                          operators, services, keys, permissions
    flows                             bulk-sending flows: actions, import, queries
    notifications                     every message sent and its status on IO
    sending, exports                  the dispatcher and worker; Excel exports
    demo, health                      demo data bound to the simulator; `appio health`
    cli                               the `appio` command
"""
