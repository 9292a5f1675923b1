import XCTest

@testable import ForemanCore

final class ExpenseAndProgressViewModelTests: XCTestCase {
    private let site = Fixtures.site
    private let gps = GeoPoint(latitude: 31.2304, longitude: 121.4737, accuracyM: 8.0)

    @MainActor
    func testAnExpenseWithAReceiptIsSavedOnceAndItsPhotoWaitsForUpload() async throws {
        try await Fixtures.withRepo { repo in
            let dir = try Fixtures.freshDir("camera")
            let vm = ExpenseViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            let loaded = await vm.load()
            XCTAssertTrue(loaded)
            XCTAssertTrue(vm.state.categories.contains("materials"), "\(vm.state.categories)")
            XCTAssertEqual(vm.state.costCodes.map(\.code), ["03", "03-100", "05-100"])

            vm.change {
                $0.amount = "1280.50"
                $0.category = "materials"
                $0.vendor = "五金店"
                $0.costCode = "03-100"
            }
            let shotAt: Int64 = 1_790_000_000_000
            let receiptFile = try Fixtures.jpeg(in: dir, name: "receipt.jpg")
            vm.addReceipt(PickedPhoto(path: receiptFile.path, context: PhotoContext(capturedAtMs: shotAt, location: self.gps)))
            let saved = await vm.save()
            XCTAssertTrue(saved, "\(vm.state)")

            let expense = try XCTUnwrap(vm.state.saved)
            XCTAssertEqual(expense.amount, "1280.50")
            XCTAssertEqual(expense.currency, "CNY")
            XCTAssertEqual(expense.receipts.count, 1)
            let receipt = try XCTUnwrap(expense.receipts.first)
            XCTAssertEqual(receipt.capturedAtMs, shotAt)
            XCTAssertEqual(try XCTUnwrap(receipt.location).latitude, self.gps.latitude)
            XCTAssertTrue(FileManager.default.fileExists(atPath: receipt.thumbnailPath), "the thumbnail is on the phone")
            XCTAssertTrue(vm.state.receipts.isEmpty, "nothing left to attach")
            let waiting = try await repo.unsynced()
            XCTAssertEqual(waiting.photos, 1, "the original waits for upload")

            // Saving again (a corrected amount) updates the same expense.
            vm.change { $0.amount = "1290" }
            let again = await vm.save()
            XCTAssertTrue(again)
            XCTAssertEqual(try XCTUnwrap(vm.state.saved).info.id, expense.info.id)
            let stored = try await repo.expense(expense.info.id)
            XCTAssertEqual(stored.amount, "1290.00")
            let records = try await repo.records(self.site, from: nil, to: nil)
            XCTAssertEqual(records.count, 1, "no duplicate")
        }
    }

    @MainActor
    func testBadAmountsAndBadReceiptsAreRefusedWithoutLosingWhatIsSaved() async throws {
        try await Fixtures.withRepo { repo in
            let dir = try Fixtures.freshDir("camera")
            let vm = ExpenseViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            await vm.load()
            for typo in ["12,34", "1e5", "NaN", "12.345", ""] {
                vm.change {
                    $0.amount = typo
                    $0.category = "materials"
                    $0.costCode = "03-100"
                }
                let refused = await vm.save()
                XCTAssertFalse(refused, "amount \(typo) refused")
                XCTAssertEqual(Set(vm.state.fieldErrors.keys), ["amount"], "for \(typo)")
                XCTAssertNil(vm.state.saved)
            }
            let none = try await repo.records(self.site, from: nil, to: nil)
            XCTAssertEqual(none.count, 0, "nothing was created")

            // A text file named .jpg, then a real receipt: the expense is kept, the bad file is named and stays listed.
            let fake = dir.appendingPathComponent("not-a-photo.jpg")
            try Data("this is not a JPEG".utf8).write(to: fake)
            let good = try Fixtures.jpeg(in: dir, name: "good.jpg", width: 800, height: 600)
            vm.change { $0.amount = "35.00" }
            vm.addReceipt(PickedPhoto(path: fake.path))
            vm.addReceipt(PickedPhoto(path: good.path))
            let withBadReceipt = await vm.save()
            XCTAssertFalse(withBadReceipt)
            guard case .some(.photo) = vm.state.error else {
                return XCTFail("a photo error, not \(String(describing: vm.state.error))")
            }
            let kept = try XCTUnwrap(vm.state.saved)
            XCTAssertEqual(kept.receipts.count, 0)
            XCTAssertEqual(vm.state.receipts.map(\.path), [fake.path, good.path])

            vm.removeReceipt(path: fake.path)
            XCTAssertNil(vm.state.error)
            let retried = await vm.save()
            XCTAssertTrue(retried)
            XCTAssertEqual(try XCTUnwrap(vm.state.saved).info.id, kept.info.id)
            let stored = try await repo.expense(kept.info.id)
            XCTAssertEqual(stored.receipts.count, 1)
            let records = try await repo.records(self.site, from: nil, to: nil)
            XCTAssertEqual(records.count, 1)
        }
    }

    @MainActor
    func testAProgressReportTakesItsUnitFromTheActivityAndKeepsPhotoTimeAndPlace() async throws {
        try await Fixtures.withRepo { repo in
            let dir = try Fixtures.freshDir("camera")
            let vm = ProgressPhotoViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            let loaded = await vm.load()
            XCTAssertTrue(loaded)
            XCTAssertEqual(vm.state.activities.count, 1)
            let pour = try XCTUnwrap(vm.state.activities.first)
            vm.choose(pour)
            XCTAssertEqual(vm.state.draft.unit, "m3")

            // Over 100 % is refused, and no report is created.
            vm.change {
                $0.measure = .percent
                $0.value = "120"
            }
            let refused = await vm.save()
            XCTAssertFalse(refused)
            XCTAssertEqual(Set(vm.state.fieldErrors.keys), ["percent"])
            let none = try await repo.records(self.site, from: nil, to: nil)
            XCTAssertEqual(none.count, 0)

            vm.change {
                $0.measure = .quantity
                $0.value = "12.5"
                $0.caption = "南侧浇筑完成"
            }
            for i in 1...2 {
                let file = try Fixtures.jpeg(in: dir, name: "pour-\(i).jpg")
                let context = PhotoContext(capturedAtMs: 1_790_000_000_000 + Int64(i), location: self.gps)
                vm.addPhoto(PickedPhoto(path: file.path, context: context))
            }
            let saved = await vm.save()
            XCTAssertTrue(saved, "\(vm.state)")
            let s = vm.state
            XCTAssertEqual(s.attached, 2)
            XCTAssertEqual(s.toAttach, 2)
            let report = try XCTUnwrap(s.saved)
            XCTAssertEqual(report.measure, .quantity(installed: "12.5", unit: "m3"))
            XCTAssertEqual(report.photos.map(\.capturedAtMs), [1_790_000_000_001, 1_790_000_000_002])
            let stored = try await repo.progress(report.info.id)
            XCTAssertEqual(report, stored)
            let waiting = try await repo.unsynced()
            XCTAssertEqual(waiting.photos, 2)
        }
    }
}
