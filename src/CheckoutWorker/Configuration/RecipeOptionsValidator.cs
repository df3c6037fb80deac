using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Configuration;

/// <summary>Checks <c>Recipes:OriginAliases</c> at start and reports every problem at once, each saying how to fix it.</summary>
public sealed class RecipeOptionsValidator : IValidateOptions<RecipeOptions>
{
    public ValidateOptionsResult Validate(string? name, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
