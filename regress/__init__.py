"""Regression: testplan, testlists, parallel runner, reports and milestone sign-off."""
