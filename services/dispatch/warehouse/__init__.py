"""The warehouse: goods receipts, requisitions, stocktakes and the stock's value."""
