"""The Microsoft Teams adapter: Bot Framework activities in, Adaptive Cards out.

Kept thin on purpose: the Python Bot Framework SDK is retired, and moving to its successor
(the Microsoft 365 Agents SDK, same Activity protocol) should touch only this package.
"""
