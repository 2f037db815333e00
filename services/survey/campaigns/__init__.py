"""Satisfaction campaigns (满意度调查): stratified sample, answers, statistics, xlsx and charts."""
