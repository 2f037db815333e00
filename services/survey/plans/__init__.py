"""Key-account visit plans (重点客户回访计划): drafted monthly, approved, outcomes recorded."""
