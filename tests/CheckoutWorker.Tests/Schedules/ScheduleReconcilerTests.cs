using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Worker.Schedules;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CheckoutAgent.Tests.Schedules;

/// <summary>At start-up the schedule rows and their Quartz jobs are put back in step.</summary>
[NonParallelizable]
public sealed class ScheduleReconcilerTests
{
    [Test]
    public async Task Start_RestoresLostJobs_AppliesPausedRows_AndDeletesOrphanJobs()
    {
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        var sandbox = new LinkSandboxOptions { Approval = SandboxApprovalMode.Never };
        TestService? service = null;
        try
        {
            service = await TestService.StartAsync(sandboxOptions: sandbox, dataDirectory: dataDirectory);
            var (client, _) = await service.AddAgentAsync("reconcile");
            var lost = (await Schedules.CreateAsync(client, Schedules.Body(service, name: "lost"))).GetProperty("id").GetString()!;
            var paused = (await Schedules.CreateAsync(client, Schedules.Body(service, name: "paused"))).GetProperty("id").GetString()!;
            (await client.PostAsync($"/v1/schedules/{paused}/pause", null)).Dispose();

            // Break the Quartz side behind the rows' back: a job lost, a paused one running, an orphan added.
            var scheduler = await service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            await scheduler.DeleteJob(ScheduleService.JobKeyOf(lost));
            await scheduler.ResumeJob(ScheduleService.JobKeyOf(paused));
            var orphan = JobBuilder.Create<ScheduleFireJob>().WithIdentity(ScheduleService.JobKeyOf("sch_orphan")).Build();
            await scheduler.ScheduleJob(orphan, TriggerBuilder.Create().WithIdentity(ScheduleService.TriggerKeyOf("sch_orphan"))
                .WithCronSchedule("0 0 9 ? * MON").Build());
            await service.DisposeAsync();
            service = null;

            service = await TestService.StartAsync(sandboxOptions: sandbox, dataDirectory: dataDirectory);
            scheduler = await service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            var lostExists = await scheduler.Exists(ScheduleService.JobKeyOf(lost));
            var pausedState = await scheduler.GetTriggerState(ScheduleService.TriggerKeyOf(paused));
            var orphanExists = await scheduler.Exists(ScheduleService.JobKeyOf("sch_orphan"));
            Assert.Multiple(() =>
            {
                Assert.That(lostExists, Is.True, "a row without its job gets it back");
                Assert.That(pausedState, Is.EqualTo(TriggerState.Paused), "the row's pause wins");
                Assert.That(orphanExists, Is.False, "a job without its row is deleted");
            });
        }
        finally
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
            DataDirectoryTest.Delete(dataDirectory);
        }
    }
}
