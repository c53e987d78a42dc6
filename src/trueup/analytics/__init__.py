"""Analytics: data frames in, figures out; no database access of their own. Wings:
`simulation` (the simulated retailer world).
"""
