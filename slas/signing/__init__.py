"""Signing: send a version for signature, sign, decline, withdraw; the sealed content and its seal; the audit chain; the lifecycle jobs (activation, expiry, reminders).

Modules: `models` (rounds, requests, signatures, audit entries), `seal` (canonical content, hashes, sealed copy and its check), `audit` (the hash chain), `rounds` (locks and helpers shared by the workflow and the jobs), `activation` (a version takes force, is superseded or expires), `services` (send, view, sign, decline, withdraw), `jobs` (what the scheduler runs), `tasks` (the Celery tasks), then the web side: `selectors`, `forms`, `views`, `urls`, `home`, `demo`, `api`.
"""
