import Combine
import Foundation
import MobileCore

public enum SyncPhase: Equatable, Sendable {
    case idle
    /// `step` of `steps` (0 while the number of rounds is unknown), `item` says what just happened.
    case running(step: Int, steps: Int, item: String)
    case finished(SyncReport)
    case failed(UiError)
}

public struct SyncState: Equatable, Sendable {
    public var phase: SyncPhase = .idle
    /// Records and photos not on the server yet; `nil` until read.
    public var unsynced: Unsynced?
    /// Set (to `UiError.unsynced`) when sign-out was refused because of unsynced work: sync first, or confirm to
    /// discard it.
    public var signOutBlocked: UiError?
    public var signedOut = false

    public var running: Bool {
        if case .running = phase { return true }
        return false
    }
}

/// Sync with progress, what is still waiting, and a sign-out that will not silently throw away a day's work: other
/// field apps lose records exactly there, so sign-out is refused while anything is unsynced unless confirmed.
@MainActor
public final class SyncViewModel: ObservableObject {
    @Published public private(set) var state = SyncState()

    private let repo: FieldRepository
    private let account: ServerAccount
    /// The running sync's token, for `cancel()`.
    private var cancelToken: CancelToken?

    public init(repo: FieldRepository, account: ServerAccount) {
        self.repo = repo
        self.account = account
    }

    public func refresh() async {
        _ = await catching {
            self.state.unsynced = try await self.repo.unsynced()
        }
    }

    /// Syncs records, then uploads photos (resumable: an interrupted upload continues next time).
    @discardableResult
    public func sync() async -> Bool {
        guard !state.running else { return false }
        state.phase = .running(step: 0, steps: 0, item: "connecting")
        // The core calls the listener on its own worker thread: hop to the main actor before touching state. The
        // core drops the listener when the sync ends, so holding `self` strongly here keeps nothing alive for long.
        let listener = SyncProgressRelay { done, total, item in
            Task { @MainActor in self.progressed(done: done, total: total, item: item) }
        }
        let token = CancelToken()
        cancelToken = token
        defer { cancelToken = nil }
        return await catching {
            let report = try await self.repo.sync(self.account, listener: listener, cancel: token)
            let unsynced = try await self.repo.unsynced()
            self.state.phase = .finished(report)
            self.state.unsynced = unsynced
        }
    }

    /// The Cancel button: the running sync stops promptly (even mid-request) and the phase goes back to idle.
    public func cancel() {
        cancelToken?.cancel()
    }

    /// Wipes the phone's data. Without `discardUnsynced`, refused while work is unsynced (`SyncState.signOutBlocked`).
    @discardableResult
    public func signOut(discardUnsynced: Bool) async -> Bool {
        await catching {
            try await self.repo.wipe(force: discardUnsynced)
            self.state.signedOut = true
            self.state.signOutBlocked = nil
            self.state.unsynced = nil
        }
    }

    /// The foreman read why sign-out was refused and chose neither to sync nor to discard.
    public func dismissSignOutBlock() {
        state.signOutBlocked = nil
    }

    /// Progress reports hop here as separate tasks, so one may arrive after the sync ended: only a running sync
    /// shows progress.
    private func progressed(done: UInt32, total: UInt32, item: String) {
        guard state.running else { return }
        state.phase = .running(step: Int(done), steps: Int(total), item: item)
    }

    private func catching(_ body: @MainActor () async throws -> Void) async -> Bool {
        await runWork({ _, error, fields in
            // A refused field (a malformed server address) fails the sync like any other error.
            let field = fields?.first.map { UiError.field(field: $0.key, message: $0.value) }
            guard let failure = error ?? field else { return }
            if case .unsynced = failure {
                self.state.signOutBlocked = failure
                if self.state.running { self.state.phase = .idle }
            } else if case .cancelled = failure {
                self.state.phase = .idle
            } else {
                self.state.phase = .failed(failure)
            }
        }, body)
    }
}

/// Relays the core's progress callbacks to a closure. The core holds it on its worker thread, hence `Sendable`.
final class SyncProgressRelay: ProgressListener {
    private let report: @Sendable (UInt32, UInt32, String) -> Void

    init(_ report: @escaping @Sendable (UInt32, UInt32, String) -> Void) {
        self.report = report
    }

    func onProgress(done: UInt32, total: UInt32, item: String) throws {
        report(done, total, item)
    }
}
