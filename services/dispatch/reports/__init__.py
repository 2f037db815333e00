"""Reports: the monthly complaint statistics as JSON, Excel and a chart."""
