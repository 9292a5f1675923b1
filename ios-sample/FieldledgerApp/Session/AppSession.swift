import ForemanCore
import Foundation

/// The signed-in state of the app: the settings, the token, and the open store. Screens get the repository from
/// here and never open a store themselves.
@MainActor
final class AppSession: ObservableObject {
    /// A store open for a site and a server account.
    struct Ready {
        let repo: FieldRepository
        let site: SiteContext
        var account: ServerAccount
        let author: String
    }

    @Published private(set) var ready: Ready?
    @Published private(set) var settings: AccountSettings
    @Published private(set) var opening = false
    @Published var error: String?

    init() {
        settings = AccountSettings.load()
        // Signed in before: reopen the store at launch, so the day's work is there without a sign-in screen.
        if settings.isComplete, let token = TokenKeychain.read() {
            Task { await self.open(token: token) }
        }
    }

    /// Saves the settings (the token in the Keychain) and opens the phone's store for the author.
    func signIn(_ new: AccountSettings, token: String) async {
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard new.isComplete, !token.isEmpty else {
            error = "Fill in the server, token, project, site, a valid time zone and your name."
            return
        }
        do {
            try TokenKeychain.save(token)
        } catch {
            self.error = "Could not keep the token: \(error)"
            return
        }
        new.save()
        settings = new
        await open(token: token)
    }

    /// A new server address or token (e.g. after the server refused the old one); the store stays open.
    func updateServer(baseURL: String, token: String) throws {
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        try TokenKeychain.save(token)
        settings.serverURL = baseURL.trimmingCharacters(in: .whitespacesAndNewlines)
        settings.save()
        ready?.account = ServerAccount(baseUrl: settings.serverURL, token: token)
    }

    /// The store was wiped (sign-out): forget the token and the author, keep the server and site for next time.
    func signedOut() {
        TokenKeychain.delete()
        settings.author = ""
        settings.save()
        ready = nil
    }

    private func open(token: String) async {
        opening = true
        defer { opening = false }
        do {
            let repo = try await FieldRepository.open(path: Self.storePath(), author: settings.author)
            ready = Ready(
                repo: repo,
                site: settings.site,
                account: ServerAccount(baseUrl: settings.serverURL, token: token),
                author: settings.author
            )
            error = nil
        } catch {
            self.error = UiError(error).message
        }
    }

    /// One store per phone, in Application Support (kept across launches, not in the user's Documents).
    private static func storePath() throws -> String {
        let support = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        )
        let dir = support.appendingPathComponent("Fieldledger", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("phone.db").path
    }
}
