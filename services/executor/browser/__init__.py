"""HTML jobs in headless Chromium driven by Playwright."""
