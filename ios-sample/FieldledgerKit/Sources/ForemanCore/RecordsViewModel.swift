import Combine
import Foundation
import MobileCore

/// A record in the list with where it stands with the supervisors.
public struct RecordRow: Equatable, Identifiable, Sendable {
    public var summary: RecordSummary
    public var approval: ApprovalStatus

    public var id: String { summary.id }

    public var needsAttention: Bool {
        summary.conflictCount > 0 || approval.state == .rejected
    }
}

extension ApprovalStatus {
    /// The approval state in words, as the list and the record screen show it.
    public var label: String {
        switch state {
        case .pending:
            return decisions == 0 ? "Waiting for approval" : "Edited, waiting for approval again"
        case .approved:
            return "Approved" + (decidedBy.map { " by \($0)" } ?? "")
        case .rejected:
            return "Rejected" + (comment.map { ": \($0)" } ?? "")
        case .changedSinceApproval:
            return "Changed since approval: needs approval again"
        }
    }
}

public struct RecordsState: Equatable, Sendable {
    public var rows: [RecordRow] = []
    public var error: UiError?
    public var busy = false
}

/// The recent records of the site (a week by default), with approval state and conflict counts.
@MainActor
public final class RecordsViewModel: ObservableObject {
    @Published public private(set) var state = RecordsState()

    private let repo: FieldRepository
    private let site: SiteContext
    private let now: () -> Date
    private let days: Int

    public init(repo: FieldRepository, site: SiteContext, now: @escaping () -> Date = { Date() }, days: Int = 7) {
        self.repo = repo
        self.site = site
        self.now = now
        self.days = days
    }

    @discardableResult
    public func refresh() async -> Bool {
        await runWork({ busy, error, _ in
            self.state.busy = busy
            self.state.error = error
        }, {
            let from = SiteContext.day(self.site.today(at: self.now()), adding: -(self.days - 1))
            var rows: [RecordRow] = []
            for summary in try await self.repo.records(self.site, from: from, to: nil) {
                let approval = try await self.repo.approval(summary.id)
                rows.append(RecordRow(summary: summary, approval: approval))
            }
            self.state.rows = rows
        })
    }
}

public struct ConflictsState: Equatable, Sendable {
    public var recordId: String
    public var record: AnyRecord?
    public var approval: ApprovalStatus?
    /// Fields two phones changed at once: every value entered, the first one is what the record reads now.
    public var conflicts: [FieldConflict] = []
    public var error: UiError?
    public var busy = false
}

/// One record: its approval state and the conflicts to settle by keeping one of the values.
@MainActor
public final class RecordViewModel: ObservableObject {
    @Published public private(set) var state: ConflictsState

    private let repo: FieldRepository

    public init(repo: FieldRepository, recordId: String) {
        self.repo = repo
        state = ConflictsState(recordId: recordId)
    }

    @discardableResult
    public func load() async -> Bool {
        await work { try await self.reload() }
    }

    /// Keeps `values[choice]` of the conflicting field at `path`; the others are dropped on every phone after sync.
    @discardableResult
    public func keep(path: String, choice: Int) async -> Bool {
        guard let index = UInt32(exactly: choice) else { return false }
        return await work {
            try await self.repo.keep(self.state.recordId, path: path, choice: index)
            try await self.reload()
        }
    }

    private func reload() async throws {
        let id = state.recordId
        let record = try await repo.record(id)
        let approval = try await repo.approval(id)
        let conflicts = try await repo.conflicts(id)
        state.record = record
        state.approval = approval
        state.conflicts = conflicts
    }

    private func work(_ body: @MainActor () async throws -> Void) async -> Bool {
        await runWork({ busy, error, _ in
            self.state.busy = busy
            self.state.error = error
        }, body)
    }
}
