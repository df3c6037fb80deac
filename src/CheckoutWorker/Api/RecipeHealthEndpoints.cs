using CheckoutAgent.Worker.RecipeHealth;
using CheckoutAgent.Worker.Recipes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Worker.Api;

/// <summary>Recipe health under <c>/v1/recipes</c>: every recipe's latest check, and a check run now.</summary>
public static class RecipeHealthEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/recipes/health", async (RecipeHealthService health, CancellationToken ct) => ApiResults.Ok(await health.ListAsync(ct)))
            .RequireScope(Scopes.PurchasesRead)
            .WithName("listRecipeHealth").WithTags("recipes")
            .WithSummary("Every recipe with its latest health check (healthy, broken or unchecked): the failing step, what the page showed")
            .Produces<RecipeHealthList>(200);
        v1.MapPost("/recipes/{name}/check", CheckAsync).RequireScope(Scopes.Admin)
            .WithName("checkRecipe").WithTags("recipes")
            .WithSummary("Walk the recipe at its merchant now, up to just before its first card or account step (typing nothing secret, submitting nothing), and record the result")
            .Produces<RecipeCheckView>(200).Produces<ApiErrorBody>(404);
        v1.MapGet("/recipes/{name}/checks/{id}/screenshot", async (string name, string id, RecipeHealthService health, CancellationToken ct) =>
                await health.ScreenshotAsync(name, id, ct) is { } path
                    ? Results.File(path, "image/png")
                    : ApiResults.Error(404, new ApiError(ApiErrorCodes.NotFound, $"no screenshot for check {InputEcho.Quote(id)} of recipe {InputEcho.Quote(name)}")))
            .RequireScope(Scopes.Admin)
            .WithName("recipeCheckScreenshot").WithTags("recipes")
            .WithSummary("The screenshot a health check took where it stopped, card and account fields masked")
            .Produces(200, contentType: "image/png").Produces<ApiErrorBody>(404);
    }

    private static async Task<IResult> CheckAsync(string name, RecipeCatalog catalog, RecipeHealthChecker checker, CancellationToken cancellationToken)
    {
        if (catalog.List().All(r => r.Name != name))
        {
            return ApiResults.Error(404, new ApiError(ApiErrorCodes.UnknownRecipe,
                $"no recipe {InputEcho.Quote(name)} loads from the recipes folder; GET /v1/recipes lists them (recipe lint says why one does not load)"));
        }
        var check = await checker.CheckAsync(name, RecipeCheckTriggers.Api, null, cancellationToken);
        return ApiResults.Ok(RecipeCheckView.From(check));
    }
}
