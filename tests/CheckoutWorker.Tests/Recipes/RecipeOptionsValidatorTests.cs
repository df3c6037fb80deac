namespace CheckoutAgent.Tests.Recipes;

public class RecipeOptionsValidatorTests
{
    [Test]
    public void Every_bad_alias_is_reported_at_once_each_with_its_fix()
    {
        var options = new RecipeOptions();
        options.OriginAliases["shop.example.com"] = "http://127.0.0.1:1";
        options.OriginAliases["pay.demo.test"] = "not an origin";

        var result = new RecipeOptionsValidator().Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures!.Count(), Is.EqualTo(2));
        Assert.That(result.Failures, Has.Some.Contains("shop.example.com: only hosts ending in .test or .localhost"));
        Assert.That(result.Failures, Has.Some.Contains("'not an origin' must be an origin like http://127.0.0.1:43122"));
    }

    [Test]
    public void Good_aliases_pass()
    {
        var options = new RecipeOptions();
        options.OriginAliases["pay.demo.test"] = "http://127.0.0.1:43122";
        Assert.That(new RecipeOptionsValidator().Validate(null, options).Succeeded, Is.True);
    }
}
