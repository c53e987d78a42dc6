"""The KPIs of the imbalance SOP, per site and day (docs/kpis.md): what one day stores
(`figures.py`), the figures computed from the stock, counts and alerts (`stock.py`) and
from the cases as they stood (`cases.py`)."""
