import ForemanCore
import SwiftUI

/// Sign-in until a store is open, then the foreman's five tabs.
struct RootView: View {
    @EnvironmentObject private var session: AppSession

    var body: some View {
        if let ready = session.ready {
            MainTabs(ready: ready)
        } else if session.opening {
            ProgressView("Opening the phone's records…")
        } else {
            SignInView()
        }
    }
}

private struct MainTabs: View {
    let ready: AppSession.Ready

    var body: some View {
        TabView {
            NavigationStack { TodaySheetView(repo: ready.repo, site: ready.site) }
                .tabItem { Label("Today", systemImage: "person.3") }
            NavigationStack { ProgressPhotoView(repo: ready.repo, site: ready.site) }
                .tabItem { Label("Progress", systemImage: "camera") }
            NavigationStack { ExpenseView(repo: ready.repo, site: ready.site) }
                .tabItem { Label("Expense", systemImage: "yensign.circle") }
            NavigationStack { RecordsView(repo: ready.repo, site: ready.site) }
                .tabItem { Label("Records", systemImage: "checkmark.seal") }
            NavigationStack {
                SyncView(repo: ready.repo, account: ready.account, site: ready.site, author: ready.author)
                    // A new token makes a new sync view model (it holds the account it syncs as).
                    .id(ready.account)
            }
            .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }
        }
    }
}
