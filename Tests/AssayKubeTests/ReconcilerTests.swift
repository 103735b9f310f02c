import Foundation
import Testing
@testable import AssayKube

@Suite struct ReconcilerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let id = "01k9z8y7x6w5v4t3s2r1q0p9n8"

    static func job(
        _ id: String = id, attempt: Int = 1, conditions: [KubeCondition] = [], failed: Int? = nil,
        deleting: Bool = false, deadline: Int? = nil
    ) -> JobObject {
        var labels = JobBuilder.labels(experimentID: id)
        labels[JobBuilder.attemptLabel] = String(attempt)
        let name = try! JobBuilder.jobName(forExperimentID: id, attempt: attempt)
        return JobObject(
            metadata: ReadMeta(name: name, uid: "uid-\(name)", labels: labels, deletionTimestamp: deleting ? "2027-01-01T00:00:00Z" : nil),
            spec: .init(parallelism: 2, backoffLimit: 3, activeDeadlineSeconds: deadline),
            status: .init(failed: failed, conditions: conditions))
    }

    static func pod(
        of job: JobObject, _ suffix: String = "abcde", phase: String = "Pending",
        waiting: String? = nil, terminated: PodObject.ContainerState.Terminated? = nil, unschedulable: Bool = false
    ) -> PodObject {
        var state: PodObject.ContainerState?
        if let waiting { state = .init(waiting: .init(reason: waiting, message: "detail of \(waiting)")) }
        if let terminated { state = .init(terminated: terminated) }
        let conditions = unschedulable
            ? [KubeCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available")]
            : nil
        return PodObject(
            metadata: ReadMeta(
                name: "\(job.metadata.name)-\(suffix)", labels: job.metadata.labels,
                ownerReferences: [ReadOwnerReference(name: job.metadata.name, uid: job.metadata.uid!)]),
            status: .init(
                phase: phase, conditions: conditions,
                containerStatuses: state.map { [.init(name: "runner", state: $0)] }))
    }

    static func active(_ id: String = id, startedAt: Date? = nil, deadline: Duration? = nil) -> [String: Reconciler.ExperimentView] {
        [id: .init(id: id, phase: .active, startedAt: startedAt, deadline: deadline)]
    }

    static let complete = [KubeCondition(type: "Complete", status: "True")]
    static func failedCondition(_ reason: String) -> [KubeCondition] {
        [KubeCondition(type: "Failed", status: "True", reason: reason, message: "Job has reached the specified backoff limit")]
    }

    func plan(
        _ experiments: [String: Reconciler.ExperimentView], jobs: [JobObject] = [], pods: [PodObject] = [],
        at now: Date = t0, memory: inout Reconciler.Memory, policy: Reconciler.Policy = Reconciler.Policy()
    ) -> [Reconciler.Action] {
        Reconciler(policy: policy).plan(.init(experiments: experiments, jobs: jobs, pods: pods, now: now), memory: &memory)
    }

    @Test func anActiveExperimentWithoutAJobGetsItsFirst() {
        var memory = Reconciler.Memory()
        #expect(plan(Self.active(), memory: &memory) == [.createJob(experimentID: Self.id, attempt: 1, deadlineSeconds: nil)])
    }

    @Test func aLiveJobIsLeftAloneAndPlanningTwiceGivesTheSameAnswer() {
        var memory = Reconciler.Memory()
        let job = Self.job()
        let pods = [Self.pod(of: job, phase: "Running")]
        #expect(plan(Self.active(), jobs: [job], pods: pods, memory: &memory).isEmpty)
        #expect(plan(Self.active(), jobs: [job], pods: pods, memory: &memory).isEmpty)
    }

    @Test func theDeadlineLeftIsGivenToANewJobAndAPassedOneFailsTheExperiment() {
        var memory = Reconciler.Memory()
        let started = Self.t0.addingTimeInterval(-600)
        #expect(plan(Self.active(startedAt: started, deadline: .seconds(3600)), memory: &memory)
            == [.createJob(experimentID: Self.id, attempt: 1, deadlineSeconds: 3000)])
        let actions = plan(Self.active(startedAt: started, deadline: .seconds(300)), memory: &memory)
        guard case .failExperiment(Self.id, let reason, []) = actions.first else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(reason.hasPrefix("DeadlineExceeded: "))
    }

    @Test func anUnpullableImageFailsTheExperimentAfterItsGrace() throws {
        var memory = Reconciler.Memory()
        let job = Self.job()
        let pods = [Self.pod(of: job, waiting: "ImagePullBackOff")]
        var policy = Reconciler.Policy()
        policy.imagePullGrace = .seconds(60)
        #expect(plan(Self.active(), jobs: [job], pods: pods, memory: &memory, policy: policy).isEmpty)
        #expect(plan(Self.active(), jobs: [job], pods: pods, at: Self.t0 + 59, memory: &memory, policy: policy).isEmpty)
        let actions = plan(Self.active(), jobs: [job], pods: pods, at: Self.t0 + 60, memory: &memory, policy: policy)
        #expect(actions == [.failExperiment(
            experimentID: Self.id, reason: "ImagePullBackOff: detail of ImagePullBackOff", deleteJobs: [job.metadata.name])])
    }

    @Test func withNoGraceAnUnpullableImageFailsAtOnce() {
        var memory = Reconciler.Memory()
        var policy = Reconciler.Policy()
        policy.imagePullGrace = .zero
        let job = Self.job()
        let actions = plan(Self.active(), jobs: [job], pods: [Self.pod(of: job, waiting: "ErrImagePull")], memory: &memory, policy: policy)
        #expect(actions.count == 1)
        guard case .failExperiment(_, let reason, let deleted) = actions.first else { return }
        #expect(reason == "ImagePullBackOff: detail of ErrImagePull (ErrImagePull)" && deleted == [job.metadata.name])
    }

    @Test func aPodThatRecoversStartsItsGraceAfresh() {
        var memory = Reconciler.Memory()
        let job = Self.job()
        _ = plan(Self.active(), jobs: [job], pods: [Self.pod(of: job, waiting: "ErrImagePull")], memory: &memory)
        _ = plan(Self.active(), jobs: [job], pods: [Self.pod(of: job, phase: "Running")], at: Self.t0 + 30, memory: &memory)
        let later = plan(Self.active(), jobs: [job], pods: [Self.pod(of: job, waiting: "ErrImagePull")], at: Self.t0 + 61, memory: &memory)
        #expect(later.isEmpty)
    }

    @Test func unschedulablePodsGetALongerGrace() {
        var memory = Reconciler.Memory()
        let job = Self.job()
        let pods = [Self.pod(of: job, unschedulable: true)]
        #expect(plan(Self.active(), jobs: [job], pods: pods, memory: &memory).isEmpty)
        #expect(plan(Self.active(), jobs: [job], pods: pods, at: Self.t0 + 300, memory: &memory).isEmpty)
        let actions = plan(Self.active(), jobs: [job], pods: pods, at: Self.t0 + 600, memory: &memory)
        #expect(actions == [.failExperiment(
            experimentID: Self.id, reason: "Unschedulable: 0/1 nodes are available", deleteJobs: [job.metadata.name])])
    }

    @Test func aMissingTokenSecretReplacesTheJobInsteadOfFailing() {
        var memory = Reconciler.Memory()
        let job = Self.job()
        let pods = [Self.pod(of: job, waiting: "CreateContainerConfigError")]
        #expect(plan(Self.active(), jobs: [job], pods: pods, memory: &memory).isEmpty)
        let actions = plan(Self.active(), jobs: [job], pods: pods, at: Self.t0 + 30, memory: &memory)
        guard case .deleteJob(job.metadata.name, Self.id, _) = actions.first else {
            Issue.record("expected the Job deleted, got \(actions)")
            return
        }
        // Once it is gone, the next Job is number 2... or 1 again when nothing is left to count from.
        #expect(plan(Self.active(), jobs: [], at: Self.t0 + 31, memory: &memory)
            == [.createJob(experimentID: Self.id, attempt: 1, deadlineSeconds: nil)])
    }

    @Test func aJobPastItsDeadlineFailsTheExperimentWithDeadlineExceeded() {
        var memory = Reconciler.Memory()
        let job = Self.job(conditions: Self.failedCondition("DeadlineExceeded"), deadline: 3600)
        let actions = plan(Self.active(), jobs: [job], memory: &memory)
        guard case .failExperiment(Self.id, let reason, []) = actions.first, actions.count == 1 else {
            Issue.record("expected one failure, got \(actions)")
            return
        }
        #expect(reason.hasPrefix("DeadlineExceeded: ") && reason.contains("3600 s"))
    }

    @Test func podsKilledForMemoryMakeOOMKilledTheReasonWhenTheJobGivesUp() {
        var memory = Reconciler.Memory()
        let running = Self.job()
        let oom = Self.pod(
            of: running, "oomed", phase: "Failed",
            terminated: .init(exitCode: 137, reason: "OOMKilled"))
        #expect(plan(Self.active(), jobs: [running], pods: [oom], memory: &memory).isEmpty)
        let gaveUp = Self.job(conditions: Self.failedCondition("BackoffLimitExceeded"), failed: 4)
        let actions = plan(Self.active(), jobs: [gaveUp], pods: [oom], memory: &memory)
        guard case .failExperiment(Self.id, let reason, []) = actions.first else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(reason.hasPrefix("OOMKilled: runner pod \(running.metadata.name)-oomed exceeded its memory limit"))
        #expect(reason.contains("BackoffLimitExceeded: 4 runner pods failed"))
    }

    @Test func aJobThatGaveUpWithoutAKnownCauseSaysBackoffLimitExceeded() {
        var memory = Reconciler.Memory()
        let actions = plan(Self.active(), jobs: [Self.job(conditions: Self.failedCondition("BackoffLimitExceeded"), failed: 4)], memory: &memory)
        guard case .failExperiment(_, let reason, _) = actions.first else { return }
        #expect(reason.hasPrefix("BackoffLimitExceeded: 4 runner pods failed"))
    }

    @Test func aJobThatCompletedWithWorkLeftIsFollowedByTheNextAttemptUpToTheLimit() {
        var memory = Reconciler.Memory()
        let first = Self.job(conditions: Self.complete)
        #expect(plan(Self.active(), jobs: [first], memory: &memory)
            == [.createJob(experimentID: Self.id, attempt: 2, deadlineSeconds: nil)])
        var policy = Reconciler.Policy()
        policy.maxJobs = 2
        let second = Self.job(attempt: 2, conditions: Self.complete)
        let actions = plan(Self.active(), jobs: [first, second], memory: &memory, policy: policy)
        guard case .failExperiment(_, let reason, []) = actions.first else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(reason.hasPrefix("RunnerJobsExhausted: "))
    }

    @Test func ofTwoLiveJobsTheOlderIsDeleted() {
        var memory = Reconciler.Memory()
        let actions = plan(Self.active(), jobs: [Self.job(attempt: 2), Self.job(attempt: 1)], memory: &memory)
        #expect(actions.count == 1)
        guard case .deleteJob(let name, Self.id, _) = actions.first else { return }
        #expect(name == "assay-\(Self.id)")
    }

    @Test func aTerminatingJobDoesNotCountAsLive() {
        var memory = Reconciler.Memory()
        #expect(plan(Self.active(), jobs: [Self.job(deleting: true)], memory: &memory)
            == [.createJob(experimentID: Self.id, attempt: 2, deadlineSeconds: nil)])
    }

    @Test func repeatedCreateFailuresFailTheExperimentWithTheLastError() {
        var memory = Reconciler.Memory()
        memory.createFailures[Self.id] = (5, "422 Invalid: spec.template.spec.containers[0].image: Required value")
        let actions = plan(Self.active(), memory: &memory)
        guard case .failExperiment(_, let reason, []) = actions.first else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(reason == "JobCreateFailed: could not create its Runner Job (5 tries): 422 Invalid: spec.template.spec.containers[0].image: Required value")
    }

    @Test func jobsOfDeletedExperimentsAreDeletedEvenWhenFinished() {
        var memory = Reconciler.Memory()
        let orphan = Self.job("01korphan0000000000000000x", conditions: Self.complete)
        let live = Self.job("01korphan0000000000000000y")
        let actions = plan([:], jobs: [orphan, live], memory: &memory)
        #expect(Set(actions.compactMap { if case .deleteJob(let name, _, _) = $0 { name } else { nil } })
            == [orphan.metadata.name, live.metadata.name])
    }

    @Test func aJobWithoutTheExperimentLabelIsDeleted() {
        var memory = Reconciler.Memory()
        var stray = Self.job()
        stray.metadata.labels?["assay.dev/experiment"] = nil
        #expect(plan([:], jobs: [stray], memory: &memory)
            == [.deleteJob(name: stray.metadata.name, experimentID: nil, why: "it has no assay.dev/experiment label")])
    }

    @Test func canceledExperimentsLoseTheirLiveJobsAtOnce() {
        var memory = Reconciler.Memory()
        let experiments = [Self.id: Reconciler.ExperimentView(id: Self.id, phase: .canceled, finishedAt: Self.t0)]
        let actions = plan(experiments, jobs: [Self.job(), Self.job(attempt: 2, conditions: Self.complete)], memory: &memory)
        #expect(actions.count == 1)
        guard case .deleteJob(let name, _, _) = actions.first else { return }
        #expect(name == "assay-\(Self.id)")
    }

    @Test func finishedExperimentsKeepTheirLiveJobForAGraceWhileRunnersExitAndMail() {
        var memory = Reconciler.Memory()
        let experiments = [Self.id: Reconciler.ExperimentView(id: Self.id, phase: .completed, finishedAt: Self.t0)]
        #expect(plan(experiments, jobs: [Self.job()], at: Self.t0 + 119, memory: &memory).isEmpty)
        #expect(plan(experiments, jobs: [Self.job()], at: Self.t0 + 120, memory: &memory).count == 1)
        #expect(plan(experiments, jobs: [Self.job(conditions: Self.complete)], at: Self.t0 + 500, memory: &memory).isEmpty)
    }
}

@Suite struct RunnerFailureTests {
    @Test func aPodThatExitedNonZeroNamesItsCode() throws {
        let pod = PodObject(
            metadata: ReadMeta(name: "assay-x-abcde"),
            status: .init(phase: "Failed", containerStatuses: [.init(name: "runner", state: .init(terminated: .init(exitCode: 3, reason: "Error", message: "bad token\n")))]))
        let failure = try #require(RunnerFailure.podFailure(pod))
        #expect(failure.text == "Error: runner pod assay-x-abcde exited with code 3: bad token")
    }

    @Test func runningSucceededAndStartingPodsAreNotFailuresOrBlockers() {
        for phase in ["Running", "Succeeded", "Pending"] {
            let pod = PodObject(metadata: ReadMeta(name: "p"), status: .init(phase: phase, containerStatuses: [
                .init(name: "runner", state: .init(waiting: .init(reason: "ContainerCreating")))]))
            #expect(RunnerFailure.podFailure(pod) == nil)
            #expect(PodBlocker(pod) == nil)
        }
    }

    @Test func anEvictedPodWithoutContainerStatusesSaysSo() throws {
        let pod = PodObject(metadata: ReadMeta(name: "p"), status: .init(phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory."))
        #expect(try #require(RunnerFailure.podFailure(pod)).text == "Evicted: runner pod p failed: The node was low on resource: memory.")
    }

    @Test func aTerminatingPodIsNotBlocked() {
        let pod = PodObject(
            metadata: ReadMeta(name: "p", deletionTimestamp: "2027-01-01T00:00:00Z"),
            status: .init(phase: "Pending", containerStatuses: [.init(name: "runner", state: .init(waiting: .init(reason: "ImagePullBackOff")))]))
        #expect(PodBlocker(pod) == nil)
    }
}

@Suite struct ReconcilerOutputTests {
    @Test func theLastOutputOfAFailedPodJoinsTheReason() {
        var memory = Reconciler.Memory()
        let running = ReconcilerTests.job()
        let failed = ReconcilerTests.pod(of: running, "crash", phase: "Failed", terminated: .init(exitCode: 3, reason: "Error"))
        let views = ReconcilerTests.active()
        _ = Reconciler().plan(
            .init(experiments: views, jobs: [running], pods: [failed], lastOutput: [failed.metadata.name: "error: the server refused the runner token"],
                  now: ReconcilerTests.t0),
            memory: &memory)
        let gaveUp = ReconcilerTests.job(conditions: ReconcilerTests.failedCondition("BackoffLimitExceeded"), failed: 4)
        let actions = Reconciler().plan(.init(experiments: views, jobs: [gaveUp], pods: [], now: ReconcilerTests.t0), memory: &memory)
        guard case .failExperiment(_, let reason, _) = actions.first else {
            Issue.record("expected a failure, got \(actions)")
            return
        }
        #expect(reason.hasPrefix("Error: runner pod \(failed.metadata.name) exited with code 3; its last output: error: the server refused the runner token"))
    }
}
