using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Tests.LinkClient;

// Card files rest on POSIX permissions; the worker only runs on Linux.
[UnsupportedOSPlatform("windows")]
public class CardFileTests
{
    private const string Number = "4000056655665556";
    private const string Cvc = "987";

    private static readonly string[] _onlyNotes = ["notes.txt"];

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void Write_creates_the_file_with_mode_0600_exactly()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void Write_returns_the_absolute_path()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _dir.File("card.json"));

        var path = CardFile.Write(relative, TestData.Content());

        Assert.That(path, Is.EqualTo(_dir.File("card.json")));
    }

    [Test]
    public void Write_produces_link_clis_snake_case_shape()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        Assert.That(root.GetProperty("spend_request_id").GetString(), Is.EqualTo("lsrq_test"));
        Assert.That(root.GetProperty("merchant_name").GetString(), Is.EqualTo("Shop Example"));
        Assert.That(root.GetProperty("merchant_url").GetString(), Is.EqualTo(TestData.MerchantUrl));
        Assert.That(root.GetProperty("context").GetString(), Is.EqualTo(TestData.Context));
        Assert.That(root.GetProperty("created_at").GetString(), Is.EqualTo("2026-05-01T12:00:00.000Z"));
        var card = root.GetProperty("card");
        Assert.That(card.GetProperty("number").GetString(), Is.EqualTo(Number));
        Assert.That(card.GetProperty("cvc").GetString(), Is.EqualTo(Cvc));
        Assert.That(card.GetProperty("exp_month").GetInt32(), Is.EqualTo(4));
        Assert.That(card.GetProperty("exp_year").GetInt32(), Is.EqualTo(2028));
        Assert.That(card.GetProperty("brand").GetString(), Is.EqualTo("visa"));
        Assert.That(card.GetProperty("last4").GetString(), Is.EqualTo("5556"));
        Assert.That(card.GetProperty("valid_until").GetString(), Is.EqualTo("2026-05-01T12:30:00.000Z"));
        var address = card.GetProperty("billing_address");
        Assert.That(address.GetProperty("name").GetString(), Is.EqualTo("Jane Doe"));
        Assert.That(address.GetProperty("line1").GetString(), Is.EqualTo("123 Sandbox Street"));
        Assert.That(address.GetProperty("city").GetString(), Is.EqualTo("San Francisco"));
        Assert.That(address.GetProperty("state").GetString(), Is.EqualTo("CA"));
        Assert.That(address.GetProperty("postal_code").GetString(), Is.EqualTo("94103"));
        Assert.That(address.GetProperty("country").GetString(), Is.EqualTo("US"));
    }

    [Test]
    public void Write_refuses_an_existing_file_and_leaves_it_alone()
    {
        var path = _dir.File("card.json");
        File.WriteAllText(path, "keep me");

        var ex = Assert.Throws<LinkException>(() => CardFile.Write(path, TestData.Content()));

        Assert.That(ex.Code, Is.EqualTo("OUTPUT_FILE_EXISTS"));
        Assert.That(ex.Message, Does.Contain(path).And.Not.Contain(Number));
        Assert.That(File.ReadAllText(path), Is.EqualTo("keep me"));
    }

    [Test]
    public void Write_refuses_a_symlink_and_writes_nothing_through_it()
    {
        var target = _dir.File("target.json");
        var link = _dir.File("card.json");
        File.CreateSymbolicLink(link, target);

        var ex = Assert.Throws<LinkException>(() => CardFile.Write(link, TestData.Content()));

        Assert.That(ex.Code, Is.EqualTo("OUTPUT_FILE_SYMLINK"));
        Assert.That(ex.Message, Does.Not.Contain(Number));
        Assert.That(File.Exists(target), Is.False);
    }

    [Test]
    public void Write_refuses_a_symlink_to_an_existing_file()
    {
        var target = _dir.File("target.txt");
        File.WriteAllText(target, "keep me");
        var link = _dir.File("card.json");
        File.CreateSymbolicLink(link, target);

        var ex = Assert.Throws<LinkException>(() => CardFile.Write(link, TestData.Content()));

        Assert.That(ex.Code, Is.EqualTo("OUTPUT_FILE_SYMLINK"));
        Assert.That(File.ReadAllText(target), Is.EqualTo("keep me"));
    }

    [Test]
    public void Write_requires_the_directory_to_exist()
    {
        var path = Path.Combine(_dir.Path, "missing", "card.json");

        var ex = Assert.Throws<LinkException>(() => CardFile.Write(path, TestData.Content()));

        Assert.That(ex.Code, Is.EqualTo("OUTPUT_FILE_WRITE_ERROR"));
        Assert.That(ex.Message, Does.Contain("does not exist"));
        Assert.That(Directory.Exists(Path.GetDirectoryName(path)), Is.False);
    }

    [Test]
    public void Read_round_trips_what_Write_wrote()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());

        var secret = CardFile.Read(path);

        Assert.That(secret.Reveal(CardField.Number), Is.EqualTo(Number));
        Assert.That(secret.Reveal(CardField.Cvc), Is.EqualTo(Cvc));
        Assert.That(secret.Reveal(CardField.Expiry), Is.EqualTo("04/28"));
        Assert.That(secret.Reveal(CardField.Name), Is.EqualTo("Jane Doe"));
        Assert.That(secret.Brand, Is.EqualTo("visa"));
        Assert.That(secret.Last4, Is.EqualTo("5556"));
        Assert.That(secret.ExpMonth, Is.EqualTo(4));
        Assert.That(secret.ExpYear, Is.EqualTo(2028));
        Assert.That(secret.ValidUntil, Is.EqualTo(new DateTimeOffset(2026, 5, 1, 12, 30, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Read_accepts_a_bare_card_object()
    {
        var path = _dir.File("bare.json");
        WritePrivate(path, """{"number":"4111111111111111","cvc":"123","exp_month":12,"exp_year":2027,"brand":"visa","last4":"1111"}""");

        var secret = CardFile.Read(path);

        Assert.That(secret.Last4, Is.EqualTo("1111"));
        Assert.That(secret.ValidUntil, Is.Null);
    }

    [TestCase(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [TestCase(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "0640")]
    [TestCase(UnixFileMode.UserRead | UnixFileMode.OtherWrite, "0402")]
    public void Read_refuses_group_or_other_permissions(UnixFileMode mode, string shown)
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());
        File.SetUnixFileMode(path, mode);

        var ex = Assert.Throws<LinkException>(() => CardFile.Read(path));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_UNSAFE"));
        Assert.That(ex.Message, Does.Contain(path).And.Contain(shown).And.Contain("0600"));
        Assert.That(ex.Message.Replace(path, "<path>", StringComparison.Ordinal), Does.Not.Contain(Number).And.Not.Contain(Cvc));
    }

    [Test]
    public void Read_refuses_a_symlink_even_to_a_good_card_file()
    {
        var target = CardFile.Write(_dir.File("card.json"), TestData.Content());
        var link = _dir.File("link.json");
        File.CreateSymbolicLink(link, target);

        var ex = Assert.Throws<LinkException>(() => CardFile.Read(link));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_UNSAFE"));
        Assert.That(ex.Message, Does.Contain("symbolic link"));
    }

    [Test]
    public void Read_refuses_a_directory()
    {
        var ex = Assert.Throws<LinkException>(() => CardFile.Read(_dir.Path));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_UNSAFE"));
    }

    [Test]
    public void Read_refuses_a_fifo_without_blocking()
    {
        var fifo = _dir.File("fifo.json");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
            Assume.That(mkfifo.ExitCode, Is.Zero, "mkfifo not available");
        }

        var ex = Assert.Throws<LinkException>(() => CardFile.Read(fifo));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_UNSAFE"));
    }

    [Test]
    public void Read_refuses_a_0600_card_file_owned_by_another_user()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());
        // Only root can give a file away; as another user the rule cannot be exercised here.
        Assume.That(Run("id", "-u").Trim(), Is.EqualTo("0"), "giving a file another owner needs root");
        Assert.That(Run("chown", "65534", path), Is.Empty);

        var ex = Assert.Throws<LinkException>(() => CardFile.Read(path));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_UNSAFE"));
        Assert.That(ex.Message, Does.Contain("owned by uid 65534").And.Contain(path));
        Assert.That(ex.Message, Does.Not.Contain(Number).And.Not.Contain(Cvc));
    }

    [Test]
    public void The_owner_read_from_an_open_file_is_the_user_that_created_it()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());
        using var handle = File.OpenHandle(path);

        var status = UnixFileStatus.Of(handle);

        Assert.That(status, Is.Not.Null);
        Assert.That(status!.Value.OwnerId.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(Run("id", "-u").Trim()));
        Assert.That(status.Value.IsRegularFile, Is.True);
        Assert.That(status.Value.Mode & 0x1FF, Is.EqualTo(0x180), "permission bits 0600");
    }

    [Test]
    public void Read_of_a_missing_file_is_CARD_FILE_NOT_FOUND()
    {
        var ex = Assert.Throws<LinkException>(() => CardFile.Read(_dir.File("nope.json")));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_NOT_FOUND"));
    }

    [TestCase("""{"card":{"number":"4000056655665556","cvc":"987""", "not valid JSON")]
    [TestCase("""{"card":{"number":"4000056655665556","exp_month":4,"exp_year":2028,"brand":"visa"}}""", "card.cvc")]
    [TestCase("""{"card":{"number":"4000-0566-5566-5556","cvc":"987","exp_month":4,"exp_year":2028,"brand":"visa"}}""", "card.number must be 12 or more digits")]
    [TestCase("""{"card":{"number":"4000056655665556","cvc":"987","exp_month":13,"exp_year":2028,"brand":"visa"}}""", "card.exp_month")]
    [TestCase("""[1,2,3]""", "JSON object")]
    public void Read_names_the_rule_a_malformed_file_breaks_without_quoting_it(string content, string rule)
    {
        var path = _dir.File("bad.json");
        WritePrivate(path, content);

        var ex = Assert.Throws<LinkException>(() => CardFile.Read(path));

        Assert.That(ex.Code, Is.EqualTo("CARD_FILE_INVALID"));
        Assert.That(ex.Message, Does.Contain(path).And.Contain(rule));
        Assert.That(ex.Message, Does.Not.Contain("4000056655665556").And.Not.Contain("0566"));
        Assert.That(ex.InnerException, Is.Null);
    }

    [Test]
    public void Delete_removes_the_file_and_a_missing_file_is_no_error()
    {
        var path = CardFile.Write(_dir.File("card.json"), TestData.Content());

        Assert.That(CardFile.Delete(path), Is.True);
        Assert.That(File.Exists(path), Is.False);
        Assert.That(CardFile.Delete(path), Is.False);
        Assert.That(() => CardFile.Delete(Path.Combine(_dir.Path, "missing", "x.json")), Throws.Nothing);
    }

    [Test]
    public void EnsurePrivateDirectory_creates_a_0700_directory()
    {
        var dir = Path.Combine(_dir.Path, "cards");

        var full = CardFile.EnsurePrivateDirectory(dir);

        Assert.That(full, Is.EqualTo(dir));
        Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public void EnsurePrivateDirectory_tightens_an_existing_directory()
    {
        var dir = Path.Combine(_dir.Path, "cards");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));

        CardFile.EnsurePrivateDirectory(dir);

        Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public void EnsurePrivateDirectory_refuses_a_symlink()
    {
        var real = Path.Combine(_dir.Path, "real");
        Directory.CreateDirectory(real);
        File.SetUnixFileMode(real, (UnixFileMode)Convert.ToInt32("755", 8));
        var link = Path.Combine(_dir.Path, "cards");
        Directory.CreateSymbolicLink(link, real);

        var ex = Assert.Throws<LinkException>(() => CardFile.EnsurePrivateDirectory(link));

        Assert.That(ex.Code, Is.EqualTo("CARD_DIR_UNSAFE"));
        Assert.That(File.GetUnixFileMode(real), Is.EqualTo((UnixFileMode)Convert.ToInt32("755", 8)));
    }

    [Test]
    public void Sweep_deletes_leftover_json_files_only_at_the_top_level()
    {
        CardFile.Write(_dir.File("a.json"), TestData.Content());
        CardFile.Write(_dir.File("b.json"), TestData.Content());
        CardFile.Write(_dir.File(".hidden.json"), TestData.Content());
        File.WriteAllText(_dir.File("notes.txt"), "keep");
        Directory.CreateDirectory(_dir.File("sub"));
        File.WriteAllText(Path.Combine(_dir.Path, "sub", "nested.json"), "keep");

        var deleted = CardFile.Sweep(_dir.Path);

        Assert.That(deleted, Is.EqualTo(3));
        Assert.That(Directory.GetFiles(_dir.Path).Select(Path.GetFileName), Is.EquivalentTo(_onlyNotes));
        Assert.That(File.Exists(Path.Combine(_dir.Path, "sub", "nested.json")), Is.True);
    }

    [Test]
    public void Sweep_of_a_missing_directory_is_zero() =>
        Assert.That(CardFile.Sweep(Path.Combine(_dir.Path, "missing")), Is.Zero);

    [Test]
    public void CardFileContent_prints_without_the_number()
    {
        var text = TestData.Content().ToString();

        Assert.That(text, Does.Not.Contain(Number).And.Not.Contain(Cvc).And.Contain("5556"));
    }

    private static void WritePrivate(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
