"""What Registry Autopilot costs: one version's lifecycle on the embedded account, counted
(`lifecycle`), AWS list prices applied to it (`pricing`), and the `cost` verb's report (`report`).
`make bench` (bench/) builds its measurements on `lifecycle` and `pricing`.

May import `autopilot.embedded` and `autopilot.errors`; never the CLI, the account tools or bench/.
"""
