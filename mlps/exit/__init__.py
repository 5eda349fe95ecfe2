"""Leaving the cloud (下云) as a repeatable drill: plan, copy, verify, purge (CLD-MIG-01, CLD-CSP-04).

``plan`` turns a hybrid spec into its on-prem successor and estimates the copy; ``run`` copies
every object version from the cloud store to the on-prem one with a resumable journal;
``verify`` compares both sides version by version and writes a hashed manifest; ``purge``
deletes the source versions only against a passing manifest that still matches the source.
"""
