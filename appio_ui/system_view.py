"""«Stato del sistema»: the core's views (appio_core.sending.system_status) as tables with
Italian labels and times."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from appio_core.accounts.permissions import Actor
from appio_core.italian import counted, decimal, local_time_seconds, percent, thousands
from appio_core.sending.system_status import (
    RATE_MINUTES,
    AccountLoad,
    LeaseView,
    SystemStatus,
    WorkerState,
    WorkerView,
    system_status,
)
from appio_ui.runtime import transaction

WORKER_STATES = {
    WorkerState.ALIVE: "Attivo",
    WorkerState.SILENT: "Silenzioso",
    WorkerState.STOPPED: "Fermato",
}


def workers_frame(workers: list[WorkerView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Stato": WORKER_STATES[w.state],
                "Worker": w.worker_id,
                "Computer": w.host,
                "PID": str(w.pid),
                "Avviato": local_time_seconds(w.started_at),
                "Ultimo segnale": local_time_seconds(w.last_seen_at),
                "Account IO": ", ".join(w.accounts) or "nessuno",
            }
            for w in workers
        ],
        columns=[
            "Stato",
            "Worker",
            "Computer",
            "PID",
            "Avviato",
            "Ultimo segnale",
            "Account IO",
        ],
    )


def leases_frame(leases: list[LeaseView]) -> pd.DataFrame:
    def state(lease: LeaseView) -> str:
        if lease.owner is None:
            return "Libero"
        return "Valido" if lease.valid else "Scaduto"

    return pd.DataFrame(
        [
            {
                "Account IO": lease.account,
                "Assegnato a": lease.owner or "",
                "Fino a": local_time_seconds(lease.expires_at),
                "Stato": state(lease),
            }
            for lease in leases
        ],
        columns=["Account IO", "Assegnato a", "Fino a", "Stato"],
    )


def _limit(load: AccountLoad) -> str:
    if load.limit_requests == 0:
        return "nessun limite"
    return f"{thousands(load.limit_requests)} richieste ogni {load.limit_window_seconds} s"


def _throttled(load: AccountLoad) -> str:
    if load.requests_last_hour == 0:
        return "0"
    share = load.throttled_last_hour / load.requests_last_hour
    return (
        f"{thousands(load.throttled_last_hour)} su {thousands(load.requests_last_hour)}"
        f" ({percent(share, 2)})"
    )


RATE_COLUMN = f"Richieste al secondo (ultimi {RATE_MINUTES} min)"


def accounts_frame(accounts: list[AccountLoad]) -> pd.DataFrame:
    rows = []
    for load in accounts:
        limit = load.limit_per_second
        share = load.limit_share
        rows.append(
            {
                "Account IO": load.account,
                "Da inviare": thousands(load.to_send),
                RATE_COLUMN: decimal(load.rate_per_second),
                "Limite": _limit(load),
                "Quota usata": "" if share is None else percent(share),
                "Limite al secondo": "" if limit is None else decimal(limit),
                "Risposte 429 nell'ultima ora": _throttled(load),
            }
        )
    columns = [
        "Account IO",
        "Da inviare",
        RATE_COLUMN,
        "Limite",
        "Limite al secondo",
        "Quota usata",
        "Risposte 429 nell'ultima ora",
    ]
    return pd.DataFrame(rows, columns=columns)


def show_system_status(actor: Actor) -> None:
    with transaction() as session:
        status: SystemStatus = system_status(session, actor)
    st.caption(f"Situazione alle {local_time_seconds(status.at)} (ora italiana).")
    _show_workers(status.workers)
    st.subheader("Account IO")
    st.caption(
        "Chi invia per ciascun account: un solo worker alla volta, con un incarico che"
        " rinnova a ogni blocco di invii. Un incarico scaduto passa a un altro worker."
    )
    if status.leases:
        st.dataframe(leases_frame(status.leases), hide_index=True, key="leases")
    else:
        st.info("Nessun account è stato ancora assegnato a un worker.")
    st.subheader("Invii e limiti di IO")
    st.caption(
        "Messaggi ancora da inviare dei flussi «In invio»; richieste fatte a IO dai worker"
        f" negli ultimi {RATE_MINUTES} minuti, rispetto al limite dell'account; risposte 429"
        " (limite superato) dell'ultima ora."
    )
    st.dataframe(accounts_frame(status.accounts), hide_index=True, key="accounts")


def _show_workers(workers: list[WorkerView]) -> None:
    st.subheader("Worker")
    if not workers:
        st.warning(
            "Nessun worker ha mai dato segnali: i flussi «In invio» non partono finché non"
            " è in esecuzione almeno un worker (`appio worker`, o il worker interno"
            " dell'applicazione)."
        )
        return
    alive = sum(w.state == WorkerState.ALIVE for w in workers)
    silent = [w for w in workers if w.state == WorkerState.SILENT]
    st.caption(
        f"{counted(alive, 'worker attivo', 'worker attivi')}. Un worker attivo dà un"
        " segnale ogni pochi secondi."
    )
    if silent:
        st.warning(
            f"{len(silent)} worker non danno segnali da più del loro tempo di incarico:"
            " il processo si è fermato o è bloccato. I suoi account passano agli altri"
            " worker; se non ne resta nessuno attivo, riavviarlo."
        )
    if alive == 0:
        st.error("Nessun worker attivo: i flussi «In invio» sono fermi.")
    st.dataframe(workers_frame(workers), hide_index=True, key="workers")
