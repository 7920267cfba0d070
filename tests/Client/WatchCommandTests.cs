using System.Diagnostics;
using OrleansPrices.Tests.EndToEnd;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Clients;

/// <summary>
/// The console <c>watch</c> command, as built, against the real gateway. With its output redirected
/// it draws no live board but prints the board once when it stops (no colours: Spectre.Console
/// writes plain text to a pipe).
/// </summary>
public sealed class WatchCommandTests(GatewayFixture fixture, ITestOutputHelper output) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Watch_prints_a_board_of_the_codes_with_their_prices_and_the_connection_state()
    {
        var (exit, stdout, stderr) = await Watch("--url", fixture.Host.WebSocket.ToString(), "--codes", "600519.SH,000001", "--duration", "4");
        output.WriteLine(stdout);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Contains("OrleansPrices watch", stdout, StringComparison.Ordinal);
        Assert.Matches(@"codes\s+600519\.SH,000001", stdout); // the header wraps at the pipe's 80 columns
        Assert.Matches(@"\bLive\b", stdout);
        Assert.Matches(@"snapshot [1-9]", stdout);
        // Each code on a row with a price of two decimals.
        Assert.Matches(@"600519\.SH.*\d+\.\d{2}", stdout);
        Assert.Matches(@"000001\.SZ.*\d+\.\d{2}", stdout);
    }

    [Fact]
    public async Task Bad_arguments_exit_with_2_and_the_usage()
    {
        var (exit, _, stderr) = await Watch("--url", "http://127.0.0.1:1/");
        Assert.Equal(2, exit);
        Assert.Contains("--url must be a ws:// or wss:// URL", stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs the watch command of the same build configuration as these tests.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> Watch(params string[] args)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<configuration>/net10.0
        var dll = GatewayHost.RepoPath(Path.Combine("clients", "watch", "bin", configuration, "net10.0", "OrleansPrices.Watch.dll"));
        Assert.True(File.Exists(dll), $"{dll} not built");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
