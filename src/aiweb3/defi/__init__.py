"""AI for DeFi: Uniswap v3 liquidity, a lending market with proven liquidation protection,
credit scores across chains. Import from the modules (``aiweb3.defi.lending``, ...)."""
