"""The API's wire schemas (Pydantic), one module per area."""
