using System.Runtime.Versioning;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;
using CsCheck;

namespace CheckoutAgent.Tests.LinkClient.Fuzz;

/// <summary>
/// Property-based fuzzing of card files: a real card file (0600) with its JSON mutated thousands of ways is read as a
/// card or refused with a named <see cref="LinkException"/>, never another exception, and no message quotes the card
/// number, the CVC or the planted number. Prints how many files it tried.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class CardFileFuzzTests
{
    private const string Number = "4000056655665556";

    [Test]
    public void CardFile_AnyMutation_ReadsOrFailsWithANamedCode_WithoutEchoingTheCard()
    {
        using var directory = new TempDirectory();
        var seed = File.ReadAllText(CardFile.Write(directory.File("seed.json"), TestData.Content(TestData.Secret(Number, "987"))));
        var path = directory.File("card.json");
        var tried = 0;
        var refused = new Dictionary<string, int>();
        Gen.OneOf(Mutations.OfJson(seed), Mutations.OfText(seed)).Sample(text =>
        {
            tried++;
            File.Delete(path);
            using (var stream = new FileStream(path, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            }
            try
            {
                var card = CardFile.Read(path);
                Assert.That(card.ToString(), Does.Not.Contain(Number));
            }
            catch (LinkException ex)
            {
                refused[ex.Code] = refused.GetValueOrDefault(ex.Code) + 1;
                Assert.That(ex.Message, Does.StartWith(ex.Code));
                Assert.That(ex.ToString(), Does.Not.Contain(Number).And.Not.Contain(Mutations.PlantedCardNumber).And.Not.Contain("987\""));
            }
        }, iter: Mutations.Iterations(3000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} card files tried; refused {string.Join(", ", refused.Select(r => $"{r.Key}×{r.Value}"))}");
        Assert.That(refused.Keys, Does.Contain("CARD_FILE_INVALID"));
    }
}
