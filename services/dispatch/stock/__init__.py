"""Stock of materials (仓库物料): items, issues to a job, stocktaking adjustments, StockLow."""
