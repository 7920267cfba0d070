using OrleansPrices.Bench.FanOutHost;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Hosting;

// The gateway's own fan-out (PriceBook → Broadcaster → ClientConnection, /ws/stock/prices) with
// its quotes fed straight in: what the WebSocket side costs without the grains and the stream hop.
// AddPriceFanOut also puts the upgrade middleware in front of Kestrel, as in the gateway.
//   --Feed:Stocks=50 --Feed:IntervalMs=1000 --Urls=http://127.0.0.1:9006
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPriceFanOut();
GatewayHosting.UseInlineSocketCompletions(builder.Configuration);
builder.Services.AddHostedService<DirectFeed>();

var app = builder.Build();
app.MapPriceSocket();
app.Run();
