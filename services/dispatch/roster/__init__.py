"""The roster: who is on shift now, whom a job may go to, and the supervisor on duty."""
