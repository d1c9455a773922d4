namespace Workshop.Tests;

public sealed class KataNameTests
{
    private static readonly IReadOnlyList<Kata> Katas = Sample();

    private static IReadOnlyList<Kata> Sample()
    {
        using var repo = new TempRepo()
            .Kata("01-disposal-in-loops", "Disposal in loops")
            .Kata("02-double-channel-writes", "Double channel writes")
            .Kata("10-double-trouble", "Double trouble");
        return WorkshopRoot.Discover(repo.Path);
    }

    [Theory]
    [InlineData("02")]
    [InlineData("2")]
    [InlineData("002")]
    [InlineData("02-double-channel-writes")]
    [InlineData("02-DOUBLE-channel-writes")]
    [InlineData("katas/02-double-channel-writes/")]
    [InlineData("./katas/02-double-channel-writes")]
    [InlineData(@"katas\02-double-channel-writes\")]
    [InlineData("solutions/02-double-channel-writes")]
    [InlineData("02-double-c")]
    [InlineData("double-channel")]
    [InlineData(" 02 ")]
    public void A_kata_is_named_by_its_number_its_folder_or_a_path_to_it(string input)
    {
        KataNames.Resolve(input, Katas).Name.Should().Be("02-double-channel-writes");
    }

    [Fact]
    public void An_unknown_kata_is_answered_with_the_list_of_katas()
    {
        var unknown = () => KataNames.Resolve("42", Katas);
        unknown.Should().Throw<WorkshopException>()
            .WithMessage("There is no kata \"42\"*01  01-disposal-in-loops*02  02-double-channel-writes*10  10-double-trouble*");
        ((Action)(() => KataNames.Resolve("leaky", Katas))).Should().Throw<WorkshopException>().WithMessage("There is no kata \"leaky\"*");
        ((Action)(() => KataNames.Resolve("", Katas))).Should().Throw<WorkshopException>();
    }

    [Fact]
    public void A_name_that_fits_two_katas_says_which_two()
    {
        var ambiguous = () => KataNames.Resolve("double", Katas);
        ambiguous.Should().Throw<WorkshopException>().WithMessage("\"double\" could be more than one kata*02-double-channel-writes*10-double-trouble*");
    }

    [Fact]
    public void Katas_are_the_numbered_folders_in_number_order_each_with_the_test_project_that_names_it()
    {
        using var repo = new TempRepo()
            .Kata("10-later", "Later")
            .Kata("02-double-channel-writes", "Double channel writes")
            .Kata("09-no-tests-yet", "No tests yet", withTests: false)
            .Write("katas/README.md", "not a kata")
            .Write("katas/notes/x.txt", "not a kata either")
            .Write("tests/Tooling.Tests/Tooling.Tests.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />");

        var katas = repo.Root.Katas;

        katas.Select(k => k.Name).Should().Equal("02-double-channel-writes", "09-no-tests-yet", "10-later");
        katas[0].Id.Should().Be("02");
        katas[0].Number.Should().Be(2);
        katas[0].Title.Should().Be("Double channel writes");
        katas[0].Label.Should().Be("02 · Double channel writes");
        katas[0].RelativeDirectory.Should().Be("katas/02-double-channel-writes");
        katas[0].TestProject.Should().EndWith(Path.Combine("tests", "DoubleChannelWrites.Tests", "DoubleChannelWrites.Tests.csproj"));
        katas[1].TestProject.Should().BeNull();
        WorkshopRoot.KataOf(Path.Combine(repo.Path, "tests", "Tooling.Tests", "Tooling.Tests.csproj")).Should().BeNull("a tooling test project names no kata");
    }

    [Fact]
    public void A_kata_without_a_readme_takes_its_title_from_its_folder()
    {
        using var repo = new TempRepo().Write("katas/03-undisposed-grpc-clients/X.csproj", "<Project />");
        repo.Root.Katas.Single().Title.Should().Be("Undisposed grpc clients");
    }

    [Fact]
    public void The_root_is_found_from_any_folder_inside_the_workshop()
    {
        using var repo = new TempRepo().Kata("01-a-kata", "A kata");
        WorkshopRoot.Find(Path.Combine(repo.Path, "katas", "01-a-kata")).Path.Should().Be(repo.Path);
        var outside = () => WorkshopRoot.Find(Path.GetTempPath());
        outside.Should().Throw<WorkshopException>().WithMessage("Run this from the workshop's folder*");
    }

    [Fact]
    public void Every_kata_of_this_workshop_has_a_test_project_that_names_it()
    {
        var folders = Directory.GetDirectories(Path.Combine(ThisRepository.Root.Path, "katas")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var katas = ThisRepository.Root.Katas;

        katas.Select(k => k.Name).Should().Equal(folders.Where(f => char.IsAsciiDigit(f![0])));
        katas.Should().OnlyContain(k => k.TestProject != null && WorkshopRoot.KataOf(k.TestProject) == k.Name);
        katas.Should().OnlyContain(k => k.Title.Length > 0 && !char.IsAsciiDigit(k.Title[0]));
    }
}
