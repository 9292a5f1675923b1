//! `fieldledger-server admin create` and `person add|grant|link|disable`: people from the command
//! line (over `super::people` and `super::codes`), and the first run's sign-in link. A sign-in
//! link or a new person's id goes to stdout (scripts read it); what happened to stderr.

use std::io::Write;

use super::codes;
use super::people::{self, Actor, NewPerson, PeopleError};
use crate::config::{AdminCommand, PersonCommand};
use crate::db::Db;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What the command line says of a refusal: the field and the reason.
fn refused(e: PeopleError) -> Box<dyn std::error::Error> {
    match e {
        PeopleError::NotFound => "no such person (their id is printed by `person add`)".into(),
        other => other.to_string().into(),
    }
}

/// Prints a new sign-in link for `person` (stdout) and says whose it is (stderr).
async fn print_link(db: &Db, base: &str, person: &people::Person) -> Result<()> {
    let code = codes::create(db, &person.id, None).await?;
    eprintln!("sign-in link for {} (valid 24 h, works once):", person.name);
    writeln!(std::io::stdout().lock(), "{}", codes::link(base, &code))?;
    Ok(())
}

/// `admin create --name N [--phone P]`: a company admin, with their sign-in link.
pub async fn admin(db: &Db, base: &str, command: AdminCommand) -> Result<()> {
    let AdminCommand::Create { name, phone, email } = command;
    let new = NewPerson { name, phone, email, company_admin: true };
    let person = people::create(db, &new, Actor::COMMAND_LINE).await.map_err(refused)?;
    eprintln!("person {} ({}) is a company admin", person.id, person.name);
    print_link(db, base, &person).await
}

pub async fn person(db: &Db, base: &str, command: PersonCommand) -> Result<()> {
    match command {
        PersonCommand::Add { name, phone, email, project, role } => {
            let new = NewPerson { name, phone: Some(phone), email, company_admin: false };
            // The membership is checked before anybody is added.
            if let Some(p) = &project {
                people::check_project(p).map_err(refused)?;
            }
            if project.is_some() != role.is_some() {
                return Err("--project and --role go together".into());
            }
            match (project, role) {
                (Some(project), Some(role)) => {
                    // The person and their membership in one transaction, as the API and the screen add them.
                    let person = people::add_member(db, &new, &project, role, &[], Actor::COMMAND_LINE)
                        .await
                        .map_err(refused)?;
                    writeln!(std::io::stdout().lock(), "{}", person.id)?;
                    eprintln!("person {} ({}) is {role} on project {}", person.id, person.name, project.trim());
                }
                _ => {
                    let person = people::create(db, &new, Actor::COMMAND_LINE).await.map_err(refused)?;
                    writeln!(std::io::stdout().lock(), "{}", person.id)?;
                    eprintln!("person {} ({}) added, on no project yet", person.id, person.name);
                }
            }
            Ok(())
        }
        PersonCommand::Grant { person, project, role, sites, all_sites } => {
            // The sites are checked before anything is stored.
            let sites = match (sites.is_empty(), all_sites) {
                (true, false) => None,
                _ => {
                    let p = people::check_project(&project).map_err(refused)?;
                    Some(people::check_sites(db, p, &sites).await.map_err(refused)?)
                }
            };
            people::set_membership(db, &person, &project, role, Actor::COMMAND_LINE).await.map_err(refused)?;
            eprintln!("person {person} is {role} on project {}", project.trim());
            if let Some(sites) = sites {
                people::set_sites(db, &person, project.trim(), &sites, Actor::COMMAND_LINE).await.map_err(refused)?;
                match sites.is_empty() {
                    true => eprintln!("on every site"),
                    false => eprintln!("on sites {}", sites.join(", ")),
                }
            }
            Ok(())
        }
        PersonCommand::Revoke { person, project } => {
            people::remove_membership(db, &person, project.trim(), Actor::COMMAND_LINE).await.map_err(refused)?;
            eprintln!("person {person} is no longer on project {}", project.trim());
            Ok(())
        }
        PersonCommand::Link { person } => {
            let found = people::find(db, &person).await?.ok_or_else(|| refused(PeopleError::NotFound))?;
            print_link(db, base, &found).await
        }
        PersonCommand::CompanyAdmin { person, off } => {
            people::set_company_admin(db, &person, !off, Actor::COMMAND_LINE).await.map_err(refused)?;
            eprintln!("person {person} is {} company admin", if off { "no longer a" } else { "a" });
            Ok(())
        }
        PersonCommand::Disable { person } => {
            people::disable(db, &person, None, Actor::COMMAND_LINE).await.map_err(refused)?;
            eprintln!("person {person} is disabled: sessions ended, devices revoked");
            Ok(())
        }
    }
}

/// On start: with no company admin, the first one ("Admin") is made; while none has a password, a
/// new sign-in link for the first is returned (logged by the caller, once per start).
pub async fn first_run(db: &Db, base: &str) -> Result<Option<String>> {
    let (admins, with_password) = people::company_admins(db).await?;
    if admins == 0 {
        let new = NewPerson { name: "Admin".into(), company_admin: true, ..NewPerson::default() };
        people::create(db, &new, Actor::COMMAND_LINE).await.map_err(refused)?;
    } else if with_password > 0 {
        return Ok(None);
    }
    let Some(id) = people::first_admin_without_password(db).await? else { return Ok(None) };
    let code = codes::create(db, &id, None).await?;
    Ok(Some(codes::link(base, &code)))
}
