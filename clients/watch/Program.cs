using OrleansPrices.Client;
using OrleansPrices.Watch;
using Spectre.Console;

WatchArguments arguments;
try
{
    arguments = WatchArguments.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(WatchArguments.Usage);
    return 2;
}

Console.OutputEncoding = System.Text.Encoding.UTF8;
using var stop = arguments.Duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var client = new PriceClient(new PriceClientOptions { Uri = arguments.Url });
// Recorded now, sent as soon as the connection is live (and again after every reconnect).
if (arguments.Codes.Count > 0) await client.SubscribeAsync(arguments.Codes, cancellationToken: stop.Token);
foreach (var list in arguments.Lists) await client.SubscribeListAsync(list, stop.Token);

var board = new Board(arguments, client);
var connect = client.ConnectAsync(stop.Token);
var reader = Task.Run(async () =>
{
    await foreach (var e in client.ReadAllAsync(stop.Token)) board.Observe(e);
}, CancellationToken.None);

int MaxRows() => arguments.MaxRows ?? Math.Max(5, (Console.IsOutputRedirected ? 40 : Console.WindowHeight) - 10);

if (Console.IsOutputRedirected)
{
    // Not a terminal (a pipe or a file): no live redraws, one board when stopped.
    try
    {
        while (!stop.IsCancellationRequested && client.State.Phase != ConnectionPhase.Closed) await Task.Delay(250, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
    AnsiConsole.Write(board.Render(MaxRows()));
}
else
{
    await AnsiConsole.Live(board.Render(MaxRows())).AutoClear(false).StartAsync(async ctx =>
    {
        while (!stop.IsCancellationRequested && client.State.Phase != ConnectionPhase.Closed)
        {
            ctx.UpdateTarget(board.Render(MaxRows()));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        ctx.UpdateTarget(board.Render(MaxRows()));
    });
}

try
{
    await connect;
}
catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
{
}
try
{
    await reader;
}
catch (OperationCanceledException)
{
}
return client.State is { Phase: ConnectionPhase.Closed, WillReconnect: false, LastCloseCode: 1008 or 1009 } ? 1 : 0;
