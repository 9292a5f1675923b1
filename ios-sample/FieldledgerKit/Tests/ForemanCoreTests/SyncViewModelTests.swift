import XCTest

@testable import ForemanCore

/// What the sync screen does without a server: the Kotlin live test (android-sample, run by
/// server/tests/android_sample.rs) covers syncing, conflicts and approvals against a real one.
final class SyncViewModelTests: XCTestCase {
    /// Nothing listens on port 9 (discard) on a Mac or in CI: the connection is refused at once.
    private let nowhere = ServerAccount(baseUrl: "http://127.0.0.1:9", token: "flt_not_a_token")

    @MainActor
    func testSignOutIsRefusedWhileWorkIsUnsyncedUnlessConfirmed() async throws {
        try await Fixtures.withRepo { repo in
            let sheet = TodaySheetViewModel(repo: repo, site: Fixtures.site, now: Fixtures.clock(on: Fixtures.today))
            await sheet.load()
            sheet.change { $0 = CrewDraft(trade: "木工", headcount: "5", rate: "380.00", costCode: "03-100") }
            let saved = await sheet.save()
            XCTAssertTrue(saved, "\(sheet.state)")

            let sync = SyncViewModel(repo: repo, account: self.nowhere)
            await sync.refresh()
            XCTAssertEqual(sync.state.unsynced?.records, 1)
            XCTAssertEqual(sync.state.unsynced?.photos, 0)

            let refused = await sync.signOut(discardUnsynced: false)
            XCTAssertFalse(refused)
            XCTAssertEqual(sync.state.signOutBlocked, .unsynced(records: 1, photos: 0))
            XCTAssertFalse(sync.state.signedOut)
            let stillThere = try await repo.sheet(try XCTUnwrap(sheet.state.sheet).info.id)
            XCTAssertEqual(stillThere.lines.count, 1, "nothing was deleted")

            let confirmed = await sync.signOut(discardUnsynced: true)
            XCTAssertTrue(confirmed, "\(sync.state)")
            XCTAssertTrue(sync.state.signedOut)
            XCTAssertNil(sync.state.signOutBlocked)
        }
    }

    @MainActor
    func testNoSignalIsAnOfflineErrorAndLosesNothing() async throws {
        try await Fixtures.withRepo { repo in
            let sheet = TodaySheetViewModel(repo: repo, site: Fixtures.site, now: Fixtures.clock(on: Fixtures.today))
            sheet.change { $0 = CrewDraft(trade: "钢筋工", headcount: "3", effortUnit: .hours, effort: "8", rate: "50.00", costCode: "03-100") }
            let saved = await sheet.save()
            XCTAssertTrue(saved, "\(sheet.state)")

            let sync = SyncViewModel(repo: repo, account: self.nowhere)
            let synced = await sync.sync()
            XCTAssertFalse(synced)
            guard case .failed(.offline) = sync.state.phase else {
                return XCTFail("offline, not \(sync.state.phase)")
            }
            XCTAssertFalse(sync.state.running)
            let waiting = try await repo.unsynced()
            XCTAssertEqual(waiting.records, 1, "the sheet waits on the phone")
        }
    }
}
