"""The synthesis strategies.

Each is `async def run(ctx, seeds, options)`: it improves `ctx.best` until a candidate passes every feedback
test, its schedule ends, or the budget raises BudgetExhausted.
"""
