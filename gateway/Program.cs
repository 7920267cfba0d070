using OrleansPrices.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPriceGateway();

var app = builder.Build();
app.MapPriceGateway();
app.Run();

/// <summary>Entry point, visible to tests that host the gateway.</summary>
public partial class Program;
