"""The plaza survey policy: visit window, fatigue window, link lifetime, campaign questionnaire."""
