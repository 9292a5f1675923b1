import Foundation
import MobileCore

/// The one place the app calls the phone core. The core's plain calls block (on SQLite and an fsync), so each runs
/// on a queue of its own, never on the main thread, and never on Swift's cooperative pool either, which has only
/// as many threads as cores. Photo and sync calls are already `async` in the bindings. Calls throw `CoreError`;
/// view models turn it into a `UiError`.
public final class FieldRepository: Sendable {
    private let store: FieldStore
    private let queue: DispatchQueue

    public init(store: FieldStore) {
        self.store = store
        // Serial: the store's writes are quick, and one at a time keeps a slow fsync from piling up threads.
        queue = DispatchQueue(label: "com.fieldledger.sample.store", qos: .userInitiated)
    }

    /// Opens (or creates) the store file at `path` for `author`, the foreman signed in on this phone. Its requests go
    /// through `http`, the platform's HTTP (the phone library has none of its own).
    public static func `open`(path: String, author: String,
                              http: any HttpTransport = URLSessionTransport()) async throws -> FieldRepository {
        let opener = DispatchQueue(label: "com.fieldledger.sample.open", qos: .userInitiated)
        let store = try await withCheckedThrowingContinuation { (done: CheckedContinuation<FieldStore, any Error>) in
            opener.async {
                done.resume(with: Result { try FieldStore.openWithHttp(path: path, author: author, http: http) })
            }
        }
        return FieldRepository(store: store)
    }

    private func call<T: Sendable>(_ body: @escaping @Sendable (FieldStore) throws -> T) async throws -> T {
        let store = self.store
        return try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
            queue.async {
                done.resume(with: Result { try body(store) })
            }
        }
    }

    // ---------- labour sheets ----------

    /// The site's (not voided) labour sheet for `date`, if one was started.
    public func sheetOn(_ site: SiteContext, date: String) async throws -> LabourSheet? {
        try await call { try $0.findLabourSheet(projectId: site.projectId, siteId: site.siteId, workDate: date) }
    }

    /// A sheet for `date` with the crews of the site's latest earlier sheet, or an empty one if there is none.
    public func startSheet(_ site: SiteContext, date: String, copyLatest: Bool) async throws -> LabourSheet {
        try await call { store in
            if copyLatest,
               let copied = try store.startSheetFromLatest(projectId: site.projectId, siteId: site.siteId, workDate: date) {
                return copied
            }
            return try store.createLabourSheet(sheet: NewLabourSheet(
                projectId: site.projectId, siteId: site.siteId, timeZone: site.timeZone,
                workDate: date, currency: nil, note: nil
            ))
        }
    }

    public func sheet(_ id: String) async throws -> LabourSheet {
        try await call { try $0.getLabourSheet(id: id) }
    }

    public func presets(_ site: SiteContext) async throws -> [CrewPreset] {
        try await call { try $0.crewPresets(projectId: site.projectId, siteId: site.siteId) }
    }

    @discardableResult
    public func addLine(sheetId: String, _ line: CrewLineInput) async throws -> CrewLine {
        try await call { try $0.addCrewLine(sheetId: sheetId, line: line) }
    }

    @discardableResult
    public func updateLine(sheetId: String, lineId: String, _ line: CrewLineInput) async throws -> CrewLine {
        try await call { try $0.updateCrewLine(sheetId: sheetId, lineId: lineId, line: line) }
    }

    public func removeLine(sheetId: String, lineId: String) async throws {
        try await call { try $0.removeCrewLine(sheetId: sheetId, lineId: lineId) }
    }

    // ---------- expenses and progress ----------

    public func createExpense(_ site: SiteContext, _ input: ExpenseInput) async throws -> Expense {
        try await call { try $0.createExpense(place: site.place, expense: input) }
    }

    public func updateExpense(id: String, _ input: ExpenseInput) async throws -> Expense {
        try await call { try $0.updateExpense(id: id, expense: input) }
    }

    public func expense(_ id: String) async throws -> Expense {
        try await call { try $0.getExpense(id: id) }
    }

    public func createProgress(_ site: SiteContext, _ input: ProgressInput) async throws -> ProgressReport {
        try await call { try $0.createProgressReport(place: site.place, report: input) }
    }

    public func updateProgress(id: String, _ input: ProgressInput) async throws -> ProgressReport {
        try await call { try $0.updateProgressReport(id: id, report: input) }
    }

    public func progress(_ id: String) async throws -> ProgressReport {
        try await call { try $0.getProgressReport(id: id) }
    }

    @discardableResult
    public func attachPhoto(recordId: String, path: String, context: PhotoContext) async throws -> Photo {
        try await store.attachPhoto(recordId: recordId, path: path, context: context)
    }

    @discardableResult
    /// Stops at the first bad file, or when `cancel` is cancelled; the photos before stay attached.
    public func attachPhotos(
        recordId: String, paths: [String], listener: any ProgressListener, cancel: CancelToken? = nil
    ) async throws -> [Photo] {
        try await store.attachPhotos(recordId: recordId, paths: paths, listener: listener, cancel: cancel)
    }

    /// The core's version, for the About line and bug reports (a constant: no store access).
    public static var coreVersion: String {
        MobileCore.coreVersion()
    }

    /// The codes of the project's expense categories (its reference data's, or the default list).
    public func categories(projectId: String) async throws -> [String] {
        try await call { try $0.expenseCategories(projectId: projectId).map { $0.code } }
    }

    // ---------- lists, approvals, conflicts ----------

    public func records(_ site: SiteContext, from: String?, to: String?) async throws -> [RecordSummary] {
        try await call { store in
            try store.listRecords(filter: RecordFilter(
                kind: nil, projectId: site.projectId, siteId: site.siteId,
                dateFrom: from, dateTo: to, includeVoided: false
            ))
        }
    }

    public func record(_ id: String) async throws -> AnyRecord {
        try await call { try $0.getRecord(id: id) }
    }

    public func approval(_ id: String) async throws -> ApprovalStatus {
        try await call { try $0.approvalStatus(id: id) }
    }

    public func conflicts(_ id: String) async throws -> [FieldConflict] {
        try await call { try $0.conflicts(id: id) }
    }

    public func keep(_ id: String, path: String, choice: UInt32) async throws {
        try await call { try $0.resolveConflict(id: id, path: path, choice: choice) }
    }

    public func reference(_ projectId: String) async throws -> ReferenceData? {
        try await call { try $0.referenceData(projectId: projectId) }
    }

    // ---------- sync and sign-out ----------

    /// `cancel` stops the sync promptly from any thread (`CoreError.Cancelled`); what was done stays done.
    public func sync(
        _ account: ServerAccount, listener: (any ProgressListener)?, cancel: CancelToken? = nil
    ) async throws -> SyncReport {
        try await store.sync(baseUrl: account.baseUrl, token: account.token, listener: listener, cancel: cancel)
    }

    public func unsynced() async throws -> Unsynced {
        try await call { try $0.unsynced() }
    }

    /// Deletes the phone's data. Refused with `CoreError.UnsyncedData` while work is unsynced, unless `force`.
    public func wipe(force: Bool) async throws {
        try await call { try $0.wipe(force: force) }
    }

    /// Closes the store (later calls fail with `CoreError.Closed`); the Rust object is freed when the last
    /// reference to this repository goes.
    public func close() async {
        _ = try? await call { try $0.close() }
    }
}
