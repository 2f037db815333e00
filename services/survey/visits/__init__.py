"""Return visits (回访): one per closed work order, the fatigue window, answers, figures."""
