"""The sample site used by the demo, the tests and the benchmarks (样例数据, 127.0.0.1 only):
content.py (what it publishes), attachments.py (.docx/.pdf built in memory), profiles.py (the
test, demo and bench sites), mirror.py (MirrorSite: the hbkx-shaped pages), server.py (HTTP, the
request log); `python -m policytrack.sample.site` serves one."""
